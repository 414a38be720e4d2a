/**
 * The serializer framework of Sluice records: a {@link io.sluice.schemas.serde.RecordCodec} per
 * record type, wrapped into Flink's serializer, snapshot and type information. Nothing here knows a
 * concrete record; the codecs live beside their records.
 */
package io.sluice.schemas.serde;
