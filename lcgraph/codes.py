"""The codes of the shipped SKOS concept schemes that code needs by name.

For the analysis (which gaps to look for), the synthetic-data generator and
tests. Concept IRIs are ``https://w3id.org/lcgraph/vocab/{scheme}/{code}``;
``ontology/vocab/*.ttl`` holds their labels, and tests/test_vocab.py checks
that every code here exists there.
"""

from __future__ import annotations

# Life stages that together cover every age (lcv:age-group); "all-ages" spans them.
AGE_GROUPS = ("early-childhood", "school-age", "youth", "working-age", "older-people")
ALL_AGES = "all-ages"

# The six major building blocks of the UNESCO GNLC Key Features (lcv:gnlc).
BUILDING_BLOCKS = (
    "inclusive-learning-education-system",
    "learning-families-communities",
    "learning-workplace",
    "learning-technologies",
    "quality-learning",
    "culture-of-learning",
)

# Knowledge themes (lcv:theme).
THEMES = (
    "local-wisdom",
    "culture-heritage",
    "arts-music",
    "history",
    "environment",
    "agriculture-food",
    "health-wellbeing",
    "digital-literacy",
    "vocational-skills",
    "entrepreneurship",
    "literacy-reading",
    "science-technology",
    "civic-participation",
    "tourism",
    "languages",
    "lifelong-learning",
)
