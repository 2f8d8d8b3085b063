"""The flywheel: every analysis step, registered in one place, run in dependency order.

An analysis joins the main job (``empathica demo`` / ``empathica run``) and the report by adding a
module to ``empathica/flywheel/steps/`` that decorates its run function with :func:`step`. Nothing else
needs editing: the steps package is discovered at run time.
"""

from empathica.flywheel.registry import RunContext, Step, registered_steps, run_flywheel, step

__all__ = ["RunContext", "Step", "registered_steps", "run_flywheel", "step"]
