"""Confidence as people read it: a model is never "100%" sure, so 0.999 reads ">99%"."""


def percent(probability: float) -> str:
    if 0.995 <= probability < 1.0:
        return ">99%"
    if 0.0 < probability < 0.005:
        return "<1%"
    return f"{probability:.0%}"
