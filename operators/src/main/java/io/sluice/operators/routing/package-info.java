/**
 * Model routing: which profile answers a turn ({@link io.sluice.operators.routing.Router}), the
 * intents rules match on, and the routing policy file that defines profiles and routes.
 */
package io.sluice.operators.routing;
