from django.db import models


class SchemeType(models.TextChoices):
    MENTORING = "mentoring", "One-to-one mentoring"
    ROTATION = "rotation", "Mutual peer rotation"
    TEAMS = "teams", "Small teams"
    GROUPS = "groups", "Peer support groups"


class Role(models.TextChoices):
    COORDINATOR = "coordinator", "Coordinator"
    SUPERVISOR = "supervisor", "Supervisor"
    MENTOR = "mentor", "Mentor"
    MENTEE = "mentee", "Mentee"
    PEER = "peer", "Peer"
    EXPERT = "expert", "Expert adviser"
    ADMIN = "admin", "Scheme admin"


class Status(models.TextChoices):
    """Where a person stands in one role of one scheme."""

    APPLICANT = "applicant", "Applicant"
    IN_TRAINING = "in_training", "In training"
    APPROVED = "approved", "Approved"
    ACTIVE = "active", "Active"
    PAUSED = "paused", "Paused"
    SUSPENDED = "suspended", "Suspended"
    LEFT = "left", "Left"


# Statuses in which a person takes part (can be matched, is counted as a member).
PARTICIPATING = (Status.APPROVED, Status.ACTIVE)


class RecruitmentStep(models.TextChoices):
    """A mentor's path to approval (handbook §13, §14 "Recruitment Process")."""

    APPLICATION = "application", "Application received"
    AWARENESS = "awareness", "Awareness session attended"
    INTERVIEW = "interview", "Interview"
    PREPARATION = "preparation", "Preparation training completed"
    APPROVAL = "approval", "Approved"


class Category(models.TextChoices):
    """What kind of carer or worker a person is; eligibility rules can depend on it."""

    MAINSTREAM = "mainstream", "Mainstream foster carer"
    RESPITE = "respite", "Respite foster carer"
    KINSHIP = "kinship", "Family and friends (kinship) carer"
    STAFF = "staff", "Staff member"
    GUARDIAN = "guardian", "Guardian"
    VOLUNTEER = "volunteer", "Volunteer"
