"""archgym."""
