/**
 * Answer models behind one interface. The built-in extractive answerer is the default; generative
 * backends plug in here. Plain Java, no Flink.
 */
package io.sluice.operators.answer;
