"""Learn: measure whether actions worked and how we compare with competitors."""
