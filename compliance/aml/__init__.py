"""AML on viewer-to-creator gifts: versioned rules, limits, gift-graph patterns and case work.

``config`` holds the versioned rules, thresholds and weights; ``selectors`` reads the features a
decision needs; ``limits`` and ``rules`` turn them into rule hits; ``graph`` walks the gift graph;
``services`` decides, stores and manages alerts and cases.
"""
