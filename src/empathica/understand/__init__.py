"""Understand & Predict: turn soft signals into hard numbers (text, empathy, journeys, drivers, value)."""
