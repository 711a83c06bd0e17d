"""The matching benchmark: labelled tickets, distractor workflows and the shortlist measurement."""
