"""Which model permissions each role's group holds; applied by migration and by `setup_roles`."""

from .choices import Role

ALL_MODELS = (
    "corporation",
    "company",
    "branch",
    "staffprofile",
    "adminarea",
    "areasuccession",
    "customer",
    "partner",
    "paymentchannel",
    "payment",
    "importbatch",
    "outreachactivity",
    "outreachregistration",
    "outreachplan",
    "target",
    # The dated facts behind the organisation and territory: read-only for everyone, changed
    # only through the actions on branches, companies and customers.
    "branchversion",
    "branchterritory",
    "customerplacement",
)

ROLE_PERMISSIONS = {
    # View everything, change nothing but targets; they report the company's figures upward,
    # so they approve its month once every branch has.
    Role.MANAGERS: [f"view_{m}" for m in ALL_MODELS]
    + ["add_target", "change_target", "approve_company_month"],
    # Their own branch only: querysets in adoption.permissions narrow every list. They sign
    # their branch's month off (adoption.month_steps checks it is their own branch).
    Role.BRANCH_STAFF: [
        "approve_branch_month",
        "view_branch",
        "view_adminarea",
        "view_customer",
        "view_partner",
        "view_paymentchannel",
        "view_target",
        "view_outreachactivity",
        "add_outreachactivity",
        "change_outreachactivity",
        "view_outreachregistration",
        "add_outreachregistration",
        "change_outreachregistration",
        "delete_outreachregistration",
        "view_outreachplan",
        "add_outreachplan",
        "change_outreachplan",
        "delete_outreachplan",
    ],
    Role.CHANNEL_ADMINS: [
        "view_partner",
        "add_partner",
        "change_partner",
        "view_paymentchannel",
        "add_paymentchannel",
        "change_paymentchannel",
        "view_payment",
        "view_importbatch",
        "add_importbatch",
        "view_customer",
        "view_branch",
    ],
}


def apply_role_permissions(group_model, permission_model, only_existing=False):
    """Give each role's group exactly its permissions; an unknown one is an error, except with
    `only_existing` (an early migration, before later models and their permissions exist)."""
    for role, codenames in ROLE_PERMISSIONS.items():
        group, _ = group_model.objects.get_or_create(name=role.value)
        perms = permission_model.objects.filter(
            content_type__app_label="adoption", codename__in=codenames
        )
        missing = set(codenames) - set(perms.values_list("codename", flat=True))
        if missing and not only_existing:
            raise RuntimeError(f"Unknown permissions for {role}: {sorted(missing)}")
        group.permissions.set(perms)
