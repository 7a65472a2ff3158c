"""Each feature's demo steps, and the steps that are no single feature's (``core``)."""
