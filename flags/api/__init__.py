"""The flags REST API (DRF): views, input serializers, authentication, throttling, errors."""
