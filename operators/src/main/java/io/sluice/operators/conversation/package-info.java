/**
 * One conversation turn, from retrieved chunks and history to an answered turn: which turn of a
 * conversation comes next ({@link io.sluice.operators.conversation.TurnQueue}), what becomes of it
 * ({@link io.sluice.operators.conversation.TurnPlanner}), the generation slots it waits for, the
 * cached answers it shares, and, for a generative turn, what each model is asked and the answer it
 * streams ({@link io.sluice.operators.conversation.GenerativeTurn}); and how a conversation's history
 * ({@link io.sluice.operators.conversation.EntryList}) and duplicate window
 * ({@link io.sluice.operators.conversation.DuplicateWindow}) lie in keyed state, so that a turn
 * writes only what it changes. Plain Java; the conversation operator keeps the state and carries
 * the decisions out.
 */
package io.sluice.operators.conversation;
