"""The edge that talks to Kafka. Nothing outside this package imports confluent_kafka's Kafka clients."""
