"""ReportLab documents: each takes plain data and returns PDF bytes."""
