"""LLM inference on a roofline: model/hardware catalogues, a per-operator analyzer, and the co-design simulator."""
