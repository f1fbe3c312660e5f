"""Serving: the compute, memory, time and cards of answering requests.

Inference FLOP per call and the compute-bound cards (``inference``), weights and
KV-cache memory (``memory``), the served model (``model``), prefill and decode times,
throughput and cost per token (``times``), the compute, memory-bandwidth and capacity
bounds (``bounds``), and the fleet that serves a day's calls (``fleet``). It reads the
catalogues and the argument readers below it and never imports training.
"""
