"""Reports of assessments: the PDF download, the HTML view and the stored PDFs."""
