"""Russian formats, where Django's differ from what the pages need.

A date and time reads the same on a detail page as in the tables beside it: Django's
Russian DATETIME_FORMAT ("5 декабря 2026 г. 6:58") sat next to the tables' short one
("05.12.2026 06:58") for the same moment. Dates alone keep Django's long form.

A day of a month takes the month in the genitive, as Django's DATE_FORMAT does: its
MONTH_DAY_FORMAT ("j F") made the admin's date drill-down list «7 Декабрь».
"""

DATETIME_FORMAT = "d.m.Y H:i"
MONTH_DAY_FORMAT = "j E"
