"""Flower example app: five clinics train a logistic regression, protected by ZKFL-PQ."""
