"""Files attached to answers as evidence: the plan as a PDF, a photo, a spreadsheet."""
