"""What each role may do: every view and template asks through a permission named here."""

from __future__ import annotations

FRONTDESK, ENGINEERING, FINANCE, MANAGER, ADMIN = (
    "frontdesk",
    "engineering",
    "finance",
    "manager",
    "admin",
)
ALL_ROLES = (FRONTDESK, ENGINEERING, FINANCE, MANAGER, ADMIN)

PERMISSIONS: dict[str, tuple[str, ...]] = {
    # anything a logged-in member of staff does for themselves
    "account.self": ALL_ROLES,
    "dashboard.view": ALL_ROLES,
    # the desk screen and its search
    "desk.use": (FRONTDESK, FINANCE, MANAGER),
    # the property register
    "register.view": (FRONTDESK, ENGINEERING, FINANCE, MANAGER, ADMIN),
    "register.edit": (FRONTDESK, MANAGER),
    "register.import": (FRONTDESK, MANAGER),
    "register.export": (FRONTDESK, FINANCE, MANAGER, ADMIN),
    "register.print": (FRONTDESK, MANAGER),
    # whole phone numbers; ID numbers in full only on the person's own page
    "person.phone_full": (FRONTDESK, ENGINEERING, MANAGER),
    "person.id_full": (FRONTDESK, MANAGER),
    "audit.view": (MANAGER, ADMIN),
    # fees
    "fees.view": (FRONTDESK, FINANCE, MANAGER),
    "fees.configure": (FINANCE,),
    "meters.read": (FINANCE, ENGINEERING),
    "meters.approve": (FINANCE, MANAGER),
    "billing.run": (FINANCE,),
    "bills.correct": (FINANCE,),
    "payments.take": (FRONTDESK, FINANCE),
    "payments.void": (FINANCE, MANAGER),
    "receipts.print": (FRONTDESK, FINANCE, MANAGER),
    "refunds.request": (FRONTDESK, FINANCE),
    "refunds.approve": (MANAGER,),
    "latefee.waive": (MANAGER,),
    "reports.finance": (FINANCE, MANAGER),
    # key custody
    "keys.view": (FRONTDESK, MANAGER),
    "keys.manage": (FRONTDESK, MANAGER),
    "keys.approve": (MANAGER,),
    # work orders: engineers see their own and their team's (services.workorders.orders)
    "workorders.view": (FRONTDESK, ENGINEERING, MANAGER),
    "workorders.report": (FRONTDESK, ENGINEERING, MANAGER),
    "workorders.dispatch": (FRONTDESK, ENGINEERING, MANAGER),
    "workorders.work": (ENGINEERING,),
    "workorders.callback": (FRONTDESK, MANAGER),
    "workorders.configure": (MANAGER,),
    "workorders.reports": (MANAGER,),
    # the duty log: shifts, entries and calls, the handover; shift times set by a manager
    "duty.view": (FRONTDESK, MANAGER),
    "duty.log": (FRONTDESK, MANAGER),
    "duty.handover": (FRONTDESK, MANAGER),
    "duty.configure": (MANAGER,),
    # move-in, move-out and transfer
    "movein.handle": (FRONTDESK, MANAGER),
    "movein.override": (MANAGER,),
    "movein.configure": (FINANCE, MANAGER),
    # complaints through the seven steps, the callback list, visitors
    "complaints.view": (FRONTDESK, MANAGER),
    "complaints.handle": (FRONTDESK, MANAGER),
    "complaints.approve": (MANAGER,),
    "callbacks.do": (FRONTDESK, MANAGER),
    "callbacks.reports": (MANAGER,),
    "visitors.log": (FRONTDESK, MANAGER),
    # long jobs (bill runs, bulk notices, imports): the list; each job also needs the
    # permission of its kind (services.jobs.KIND_PERMISSIONS)
    "jobs.view": (FRONTDESK, ENGINEERING, FINANCE, MANAGER),
    "admin.users": (ADMIN,),
    "admin.estates": (ADMIN,),
}


def roles_for(permission: str) -> tuple[str, ...]:
    """Return the roles that hold a permission; an unknown name is a programming error."""
    try:
        return PERMISSIONS[permission]
    except KeyError:
        raise KeyError(f"unknown permission {permission!r}") from None
