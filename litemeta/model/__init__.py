"""What the data is (urns, the registry of entities and aspects, proposals, events, Avro and Pegasus codecs); may import only ``errors``."""
