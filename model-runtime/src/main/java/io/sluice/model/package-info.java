/**
 * Inference without Flink: tokenizers, ONNX Runtime sessions through DJL, embedding models and
 * their cards. Nothing here may depend on Flink; operators wrap these classes.
 */
package io.sluice.model;
