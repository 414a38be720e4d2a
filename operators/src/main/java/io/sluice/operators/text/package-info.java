/** Text utilities shared by chunking, answering and hashing; locale- and clock-independent. */
package io.sluice.operators.text;
