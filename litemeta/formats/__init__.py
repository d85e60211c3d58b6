"""File formats that are not followers (Kafka record batches and segments, the fast Avro encoder, export layouts); may import only ``errors`` and ``model``."""
