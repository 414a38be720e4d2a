/** One conversation turn, from retrieved chunks and history to an answered turn. Plain Java. */
package io.sluice.operators.conversation;
