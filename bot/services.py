"""The services the composition root builds once and hands to every cog (no globals)."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.circles.activity import ActivitySource
from bot.circles.service import CircleService
from bot.clock import Clock
from bot.db import Database
from bot.db.claims import Claims
from bot.db.liveness import Liveness
from bot.focus.service import SprintService
from bot.focus.voice import VoicePresence
from bot.pairing.service import PairingService
from bot.privacy.registry import MemberDataRegistry
from bot.privacy.service import PrivacyService
from bot.profiles.service import ProfileService
from bot.scheduling import Planners, Scheduler
from bot.standups.service import StandupService
from bot.stats.digests import DigestService
from bot.stats.service import StatsService


@dataclass
class Services:
    db: Database
    clock: Clock
    scheduler: Scheduler
    planners: Planners
    liveness: Liveness
    claims: Claims
    circles: CircleService
    profiles: ProfileService
    standups: StandupService
    voice: VoicePresence
    sprints: SprintService
    pairing: PairingService
    stats: StatsService
    digests: DigestService
    privacy: PrivacyService
    # Features add a source each, so `/circle list` and `/circle info` can say what runs in a circle.
    activity_sources: list[ActivitySource] = field(default_factory=list)
    # Every service that keeps per-member data adds its export and forget here, for `/privacy`.
    member_data: MemberDataRegistry = field(default_factory=MemberDataRegistry)

    @classmethod
    def build(cls, db: Database, clock: Clock, scheduler: Scheduler) -> Services:
        liveness = Liveness(db, clock)
        claims = Claims(db, clock, liveness)
        circles = CircleService(db, clock)
        profiles = ProfileService(db, clock)
        standups = StandupService(db, clock, scheduler, claims, circles, profiles)
        voice = VoicePresence(db, clock, circles, liveness)
        member_data = MemberDataRegistry()
        services = cls(
            db=db,
            clock=clock,
            scheduler=scheduler,
            planners=Planners(),
            liveness=liveness,
            claims=claims,
            circles=circles,
            profiles=profiles,
            standups=standups,
            voice=voice,
            sprints=SprintService(db, clock, scheduler, claims, circles, voice),
            pairing=PairingService(db, clock, scheduler, claims, circles, profiles),
            stats=StatsService(db, clock, circles, profiles, standups.answers, voice),
            digests=DigestService(db, clock, scheduler, claims),
            privacy=PrivacyService(member_data, clock),
            member_data=member_data,
        )
        # The standup form shows what a member focused on since their previous answer.
        standups.answers.focus_since = services.sprints.focus_summary
        data = services.member_data
        data.register("circles", tables=["circle_members"], export=circles.export_member, forget=circles.forget_member)
        data.register("profile", tables=["profiles"], export=profiles.export_member, forget=profiles.forget_member)
        data.register(
            "standups",
            tables=["standup_answers", "standup_occurrences"],
            export=standups.answers.export_member,
            forget=standups.answers.forget_member,
        )
        data.register(
            "focus",
            tables=["voice_sessions", "sprint_participants", "sprint_joins", "sprints"],
            export=services.sprints.export_member,
            forget=services.sprints.forget_member,
        )
        data.register(
            "pairing",
            tables=["pair_pool", "pair_settings", "pair_avoids", "pair_rounds", "pair_group_members", "goals"],
            export=services.pairing.export_member,
            forget=services.pairing.forget_member,
        )
        return services
