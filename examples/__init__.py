"""Generators of the bundled demo logs: the ConfusionFlow paper's evaluation scenarios, reproduced.

Each module is a runnable script (``python examples/<name>.py --out DIR``) and an importable
``main(argv)``; ``examples/generate_all.py`` regenerates ``demo_logs/``.
"""
