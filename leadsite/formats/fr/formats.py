"""LeadSite's dates and times in French, matching the English module's choices
(one date form everywhere, tables included): numeric dates as French business
software writes them, 24-hour times.

Dates read "06/12/2026"; times "17:05"; both "06/12/2026 17:05". Numbers come from
Django's French formats (1 234,56: a narrow no-break space for thousands, comma for
decimals) where a page groups them. Inputs keep their ISO form (date pickers);
typed dates are also read as 06/12/2026.
"""

DATE_FORMAT = "d/m/Y"
SHORT_DATE_FORMAT = DATE_FORMAT
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d/m/Y H:i"
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
MONTH_DAY_FORMAT = "d/m"
YEAR_MONTH_FORMAT = "F Y"
