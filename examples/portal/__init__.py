"""A host portal that embeds ConfusionFlow under ``/tools/confusionflow/`` (see docs/embedding.md)."""
