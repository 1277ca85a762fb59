"""Parts of the chaos run (`benchmarks/chaos.py`): its worker process, its stack, phases and checks."""
