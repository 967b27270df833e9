"""A "Groups" column: each row names the groups its contact belongs in.

The export writes a contact's groups as one cell, "Клиенты; VIP", so a file taken out
and brought back in keeps its memberships. A name the book does not have yet becomes a
new group, inside the import's transaction (an import that fails creates none).
"""

from collections.abc import Mapping

from contacts.models import ContactGroup
from smsportal.exceptions import ApplicationError

# What the export writes between names; the import also reads "," between names that
# are not a group's whole name (people type "Клиенты, VIP" by hand).
EXPORT_SEPARATOR = "; "
# Between the names of a row on their way from the parser to the stage: cleaned cells
# never hold it (rows.RowParser turns separators into spaces).
JOINED = "\x1e"
NAME_MAX = ContactGroup._meta.get_field("name").max_length


def known_group_names() -> dict[str, str]:
    """The book's group names by their case-folded form."""
    names = ContactGroup.objects.values_list("name", flat=True)
    return {name.casefold(): name for name in names}


def split_group_cell(value: str, known: Mapping[str, str]) -> list[str]:
    """The group names in one cell, each once, in the order written.

    ";" always separates; "," only where the text around it is not a group's whole
    name: "Москва, центр" stays one group when the book has it.
    """
    # Assumption: a name is matched to the book's regardless of case ("vip" joins
    # "VIP"); a new one is created as first written.
    if value.casefold() in known:
        return [known[value.casefold()]]
    names: list[str] = []
    seen: set[str] = set()
    for part in value.split(";"):
        part = part.strip()
        pieces = [part] if not part or part.casefold() in known else part.split(",")
        for piece in pieces:
            name = " ".join(piece.split())
            key = name.casefold()
            if name and key not in seen:
                seen.add(key)
                names.append(known.get(key, name))
    return names


class GroupResolver:
    """Group ids for the names rows carry, creating the groups the book lacks.

    Runs inside the import's transaction; `created` lists the new groups' names.
    """

    def __init__(self) -> None:
        groups = ContactGroup.objects.values_list("pk", "name")
        self.ids = {name.casefold(): pk for pk, name in groups}
        self.created: list[str] = []

    def ids_of(self, joined: str) -> list[int]:
        """The ids of the names in a row's JOINED text ("" for none)."""
        if not joined:
            return []
        ids = []
        for name in joined.split(JOINED):
            pk = self.ids.get(name.casefold())
            if pk is None:
                pk = self._create(name)
            ids.append(pk)
        return ids

    def _create(self, name: str) -> int:
        # The groups page's own rules and refusals; imported here, as the service
        # module imports the importer.
        from contacts.services import group_create

        try:
            group = group_create(name=name)
            self.created.append(group.name)
        except ApplicationError:  # created by someone else meanwhile, in any case
            group = ContactGroup.objects.filter(name__iexact=name).first()
            if group is None:  # refused for the name itself: say so, import nothing
                raise
        self.ids[name.casefold()] = group.pk
        return group.pk
