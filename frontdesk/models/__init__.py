"""SQLAlchemy models, one module per area; importing this package registers them all."""

from frontdesk.models.accounts import ROLES, Membership, User, UserRole, user_estates
from frontdesk.models.audit import AuditEvent
from frontdesk.models.base import Base
from frontdesk.models.chain import ChainEntry
from frontdesk.models.complaints import Complaint, ComplaintCategory, ComplaintStep
from frontdesk.models.duty import (
    DutyEntry,
    DutyHandoverItem,
    DutyShift,
    DutyShiftStaff,
    ShiftDefinition,
)
from frontdesk.models.fees import (
    Allocation,
    BillLine,
    BillRun,
    Deposit,
    FeeItem,
    Meter,
    MeterReading,
    Payment,
    PrepaidEntry,
    Receipt,
    ReceiptCounter,
    Refund,
    Tariff,
)
from frontdesk.models.jobs import Job, JobFile
from frontdesk.models.keys import (
    Key,
    KeyAuthorisation,
    KeyCount,
    KeyCountItem,
    KeyCustody,
    KeyLoan,
    KeyLossReport,
)
from frontdesk.models.movein import (
    MoveinCase,
    MoveinDefect,
    MoveinSettings,
    MoveinStep,
    MoveOut,
)
from frontdesk.models.register import (
    Building,
    Estate,
    Occupancy,
    Person,
    PersonNameGram,
    Unit,
    Vehicle,
)
from frontdesk.models.throttle import LoginFailureCount
from frontdesk.models.visitors import Visit
from frontdesk.models.workorders import (
    Engineer,
    WorkOrder,
    WorkOrderCategory,
    WorkOrderCost,
    WorkOrderPhoto,
    WorkOrderSettings,
    WorkOrderStep,
)

__all__ = [
    "Job",
    "JobFile",
    "ROLES",
    "Allocation",
    "AuditEvent",
    "Base",
    "BillLine",
    "BillRun",
    "Building",
    "ChainEntry",
    "Deposit",
    "DutyEntry",
    "DutyHandoverItem",
    "DutyShift",
    "DutyShiftStaff",
    "ShiftDefinition",
    "FeeItem",
    "Key",
    "KeyAuthorisation",
    "KeyCount",
    "KeyCountItem",
    "KeyCustody",
    "KeyLoan",
    "KeyLossReport",
    "Membership",
    "MoveinCase",
    "MoveinDefect",
    "MoveinSettings",
    "MoveinStep",
    "MoveOut",
    "LoginFailureCount",
    "Meter",
    "MeterReading",
    "Payment",
    "PrepaidEntry",
    "Receipt",
    "ReceiptCounter",
    "Refund",
    "Tariff",
    "Estate",
    "Occupancy",
    "Person",
    "PersonNameGram",
    "Unit",
    "User",
    "UserRole",
    "Vehicle",
    "Engineer",
    "WorkOrder",
    "WorkOrderCategory",
    "WorkOrderCost",
    "WorkOrderPhoto",
    "WorkOrderSettings",
    "WorkOrderStep",
    "Complaint",
    "ComplaintCategory",
    "ComplaintStep",
    "Visit",
    "user_estates",
]
