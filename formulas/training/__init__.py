"""Training: the compute, memory and time of training a model.

Training FLOP from parameters and tokens or from a model shape (``compute``, ``flops``),
the cards, card-hours and duration that FLOP takes at a peak and utilization
(``compute``), memory per card (``memory``), compute-optimal scaling (``scaling``), and
the utilization (MFU) of published runs (``utilization``). It reads the catalogues and
the argument readers below it and never imports serving.
"""
