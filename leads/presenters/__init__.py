"""Display values of the leads app's tables, prepared once per page: labels,
formatted dates and amounts, URLs. Plain data, never HTML: the templates that
print them (templates/jinja2/leads/, templates/leads/) hold every piece of markup.
One module per sub-domain: leads (the lead list), timeline, reports."""
