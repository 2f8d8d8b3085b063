"""The demo world: Lumen, a simulated omnichannel electronics retailer with planted truths.

``generate_world`` writes every canonical table (CSV, Parquet and JSON Lines, as a user's exports
would be) and ``ground_truth.json`` with what the analyses must recover (see ``truths.TRUTHS``).
"""

from empathica.demo.truths import TRUTHS, PlantedTruths
from empathica.demo.world import DemoWorld, generate_world, labelled_texts

__all__ = ["TRUTHS", "DemoWorld", "PlantedTruths", "generate_world", "labelled_texts"]
