from .signing import sign, signature_header

__all__ = ["sign", "signature_header"]
