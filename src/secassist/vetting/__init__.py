"""Vetting before approval: policy factors, sanctions and denied-party screening, Leahy vetting."""
