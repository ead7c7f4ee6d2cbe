"""Compute engines. ``local`` runs K-means with scikit-learn; ``spark`` (extra) runs pyspark.ml."""
