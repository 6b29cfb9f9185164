"""Stages: the computations behind each analysis notebook (variance, MSG, violence, ward hot spots)."""
