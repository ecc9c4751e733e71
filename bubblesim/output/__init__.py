"""What a person opens: output folders and their staging, terminal tables, figures, report.html."""
