"""LeadSite's one way of writing dates and times in English: every page, the
Python-prepared table rows and the messages use these (Django's named formats),
never a format string of their own.

Dates read "Dec 6, 2026"; times "5:17 AM"; both "Dec 6, 2026, 5:17 AM". Inputs
keep their own ISO form (date pickers), which browsers show in the user's locale.
"""

DATE_FORMAT = "M j, Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "g:i A"
DATETIME_FORMAT = "M j, Y, g:i A"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "M j"
YEAR_MONTH_FORMAT = "F Y"
