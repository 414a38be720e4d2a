/** JSON views of the records Sluice writes to Kafka topics. */
package io.sluice.schemas.json;
