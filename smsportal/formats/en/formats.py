"""English formats for a Russian company's English-reading staff.

Django's English is American: month first ("12/06/2026" for 12 June reads as
6 December here) and 12-hour times that drop the minutes on the hour and say
"noon" ("8 a.m." beside "7:54 a.m."). Here dates are day first and times 24-hour
with minutes always, as on the Russian pages; a date and time reads the same on a
detail page as in a table (see the Russian module), and a date alone keeps a long
form with the month's name.
"""

DATE_FORMAT = "j M Y"
TIME_FORMAT = "H:i"
DATETIME_FORMAT = "d.m.Y H:i"
SHORT_DATE_FORMAT = "d.m.Y"
SHORT_DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j F"
YEAR_MONTH_FORMAT = "F Y"
FIRST_DAY_OF_WEEK = 1  # Monday, as in Russia
# Typed dates are read day first too: "05/12/2026" is 5 December, never 12 May.
# ISO leads, as the date pickers send it.
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d.%m.%Y", "%d/%m/%Y", "%d.%m.%y", "%d %b %Y"]
DATETIME_INPUT_FORMATS = [
    "%Y-%m-%d %H:%M:%S",
    "%Y-%m-%d %H:%M:%S.%f",
    "%Y-%m-%d %H:%M",
    "%d.%m.%Y %H:%M:%S",
    "%d.%m.%Y %H:%M",
    "%d/%m/%Y %H:%M:%S",
    "%d/%m/%Y %H:%M",
]
