"""The Generate menu's actions and the timeline's requests for shots: generate, fill a gap, remix,
continue, extend, loop, restyle, animate dropped stills, and batches (every placeholder, more takes of
the selected clips). Each builds a recipe (engine/recipes.py for
those made from a clip), says where its take lands (core/landing.py) and hands both to the
GenerationController."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QInputDialog, QWidget

from ..core.landing import Continuation, Extension, NewShot, Remix, Replacement, Spot
from ..core.project import Clip, MediaItem, MediaKind, new_id
from ..core.recipe import BRIDGE_PROMPT, DRAFT, Condition, Mode, Recipe, variations
from ..engine.drafts import DraftError, refine_recipe
from ..engine.drafts import plan as draft_plan
from ..engine.modes import overlap_frames
from ..engine.recipes import bridge_recipe, continue_recipe, extend_recipe, loop_recipe, restyle_recipe
from ..engine.requests import RequestError, available_models, resolve_model
from ..engine.weights import find_expander
from ..media.probe import MediaError
from ..media.provenance import mark_for_recipes, png_text, save_png
from ..media.thumbnails import thumbnail
from .document import Document
from .generation import GenerationController
from .prompt_panel import PromptPanel
from .remix_dialog import RemixDialog
from .timeline import TimelineWidget

MAX_BATCH_TAKES = 20  # takes of each selected clip in one request


def job_name(action: str, recipe: Recipe) -> str:
    """A job's name in the Jobs panel and on its placeholder: what it does, and the start of its prompt."""
    return f"{action}: {recipe.title[:30]}"


class ShotActions(QObject):
    message = Signal(str)

    def __init__(
        self,
        service,
        document: Document,
        prompt_panel: PromptPanel,
        timeline: TimelineWidget,
        jobs: GenerationController,
        window: QWidget,
    ) -> None:
        super().__init__(window)
        self.service = service
        self.document = document
        self.prompt_panel = prompt_panel
        self.timeline = timeline
        self.jobs = jobs
        self.window = window  # the dialogs' parent
        self._fill_offered = False  # Generate fills the selected gap (its model can bridge clips)
        self._model_refused = ""  # what the status bar was told of a folder that is no model, until one is
        timeline.gap_selected.connect(self.gap_selected)
        timeline.extend_requested.connect(self.extend_clip)
        timeline.animate_requested.connect(self.animate_stills)
        prompt_panel.generate_requested.connect(lambda: self.generate())
        prompt_panel.model.currentTextChanged.connect(self.model_changed)

    def _say(self, text: str, job_id: str | None = None) -> None:
        """`text`, then what the service changed in the job's request, each note a sentence of its own."""
        notes = [note[0].upper() + note[1:].rstrip(".") + "." for note in (self.jobs.notes(job_id) if job_id else [])]
        self.message.emit(" ".join([text, *notes]))

    # The chosen model

    def refresh_models(self) -> None:
        self.prompt_panel.set_models(available_models(self.service.models_dir))
        self.prompt_panel.expander.set_model(find_expander(models_dir=self.service.models_dir))
        self.model_changed()

    def model_changed(self, *_: object) -> None:
        """Offer only what the chosen model can do (its card lists its modes)."""
        panel = self.prompt_panel
        try:
            card = resolve_model(panel.model_value(), self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            panel.set_image_inputs(True)  # unknown yet: Generate will say what is wrong
            panel.set_references_allowed(False)
            panel.set_card(None)
            folder = Path(panel.model_value()).expanduser()
            if folder.is_absolute() and folder.is_dir():  # a folder chosen with …: say now what is wrong
                held = sorted(p.name for p in folder.iterdir() if (p / "model_index.json").is_file())
                self._model_refused = f"{exc}. " + (
                    f"It holds models ({', '.join(held[:3])}): choose one of them, or make it the models "
                    "folder in Generate → Models… → Choose…"
                    if held
                    else "Choose the folder of one model"
                )
                self.message.emit(self._model_refused)
            return
        if self._model_refused:  # a folder typed on to one that is a model: what was said of the one before goes
            self._model_refused = ""
            self.message.emit("")
        panel.set_frame_rate(float(self.document.project.sequence.fps))
        panel.set_card(card)  # only the sizes and lengths it makes
        draft_model = draft_plan(card).model
        drafts_with = None
        try:  # the card a draft is made with (a distilled model), for the Quality box's tip
            if draft_model is not None:
                drafts_with = resolve_model(draft_model, self.service.models_dir, require_weights=False).card
        except RequestError:
            pass  # the tip names the card's [draft] model without its facts
        panel.set_draft_card(drafts_with)
        panel.set_references_allowed(card.references)
        can_animate = Mode.IMAGE_TO_VIDEO in card.modes
        panel.set_image_inputs(can_animate, "" if can_animate else f"{card.name} cannot animate stills")

    # New shots

    def animate_stills(self, stills: list[Path], frame: int) -> None:
        """Stills dropped on the timeline: animate them there with the Shot panel's prompt and
        settings (the first still as the first frame, a second one as the last)."""
        panel = self.prompt_panel
        if not panel.first_frame.isEnabled():
            self.message.emit(f"Cannot animate stills: {panel.images_hint.text() or 'choose a model that can'}")
            return
        panel.first_frame.path.setText(str(stills[0]))
        panel.last_frame.path.setText(str(stills[1]) if len(stills) > 1 else "")
        self.generate(at_frame=frame)

    def gap_selected(self, gap) -> None:
        """A selected gap turns Generate into Fill Gap, sized to it."""
        button = self.prompt_panel.generate_button
        self._fill_offered = False
        self.prompt_panel.set_filling(False)
        if gap is None:
            button.setText("Generate")
            return
        frames = gap[2] - gap[1]
        length = self.document.project.sequence.fps.timecode(frames)
        try:
            card = resolve_model(self.prompt_panel.model_value(), self.service.models_dir, require_weights=False).card
        except RequestError:
            card = None  # no model chosen yet: Fill Gap will say what is wrong
        if card is not None and Mode.CONNECT not in card.modes:
            button.setText("Generate")
            self.message.emit(
                f"Gap of {length} selected: {card.name} cannot bridge two clips; choose a model "
                "that can to fill it (Delete closes it)"
            )
            return
        button.setText(f"Fill Gap ({frames} frames)")
        self._fill_offered = True
        self.prompt_panel.set_filling(True)  # its Sampling row says a bridge's guidance
        self.message.emit(
            f"Gap of {length} selected: Generate fills it with a bridge between the clips (Delete closes it)"
        )

    def fill_gap(self) -> None:
        """A connect job from the clip before the selected gap to the clip after it, exactly as long as
        the gap, from the frames the clips show (their trimmed ends)."""
        gap = self.timeline.selected_gap
        if gap is None:
            self.message.emit("Click a gap between two clips first")
            return
        project = self.document.project
        track = project.sequence.track(gap[0])
        before = next((c for c in track.clips if c.end == gap[1]), None)
        after = next((c for c in track.clips if c.start == gap[2]), None)
        items = [project.media.get(c.media_id) if c else None for c in (before, after)]
        if before is None or after is None or any(i is None or i.kind is not MediaKind.VIDEO for i in items):
            self.message.emit("Fill Gap needs a video clip on each side of the gap")
            return
        panel = self.prompt_panel.recipe(fps=float(project.sequence.fps))
        try:
            card = resolve_model(panel.model, self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            self.message.emit(f"Cannot fill the gap: {exc}")
            return
        ends = [
            Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)
            for item, clip in zip(items, (before, after), strict=True)
        ]
        # Left empty, the prompt is the first clip's own where it was generated: it says what the shot shows,
        # which a model (the demo model above all) carries on better than a generic "transition".
        before_prompt = items[0].recipe.prompt if items[0].recipe is not None else ""
        recipe = bridge_recipe(
            dataclasses.replace(panel, prompt=panel.prompt or before_prompt or BRIDGE_PROMPT),
            card,
            *ends,
            gap[2] - gap[1],
            width=items[0].width,
            height=items[0].height,
        )
        name = job_name("fill gap", recipe)
        spot = Spot(track.id, gap[1], gap[2] - gap[1], name)
        job_id = self.jobs.submit(
            recipe,
            name,
            lambda take: NewShot(take, track_id=track.id),
            refused="Cannot fill the gap",
            spot=lambda _frames: spot,
        )
        if job_id is not None:
            self._say("Filling the gap.", job_id)

    def generate(self, *, at_frame: int | None = None) -> None:
        if self._fill_offered and self.timeline.selected_gap is not None and at_frame is None:
            self.fill_gap()
            return
        recipe = self.prompt_panel.recipe(fps=float(self.document.project.sequence.fps))
        takes = variations(recipe, self.prompt_panel.takes.value())
        name = recipe.prompt  # whole: the Jobs panel ends it in "…" where it does not fit, whole in its tooltip
        group = new_id() if len(takes) > 1 else None
        track = self.jobs.video_track()
        wanted = self.timeline.playhead if at_frame is None else at_frame

        def spot(frames: int) -> Spot:  # one placeholder for the shot, however many takes it gets
            return Spot(track.id, self.jobs.free_start(track, wanted, frames), frames, name)

        job_id = None
        for number, take in enumerate(takes, 1):
            label = name if group is None else f"{name} (take {number})"
            job_id = self.jobs.submit(
                take,
                label,
                lambda take_id: NewShot(take_id, group=group),
                refused="Cannot generate",
                spot=spot if number == 1 else None,
                show=True,
                warn=True,
            )
            if job_id is None:
                return
        self._say(f"Queued {len(takes)} takes." if group else "Queued.", job_id)

    # Shots made from a clip

    def remix_clip(self, clip_id: str | None = None) -> None:
        """The selected shot made again from its recipe with the changes asked for, as new takes of
        the same clip; the clip shows the first new take when it lands (Undo goes back)."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.message.emit("Select a generated clip to remix")
            return
        _, clip = self.document.project.sequence.find_clip(clip_id)
        source = self.document.project.media.get(clip.media_id)
        if source is None or source.recipe is None:
            self.message.emit("Only a generated clip has a recipe to remix; Continue from Clip works on any clip")
            return
        sequence = self.document.project.sequence
        try:  # the sequence's reference images are offered only for a model that takes them
            takes_references = resolve_model(
                source.recipe.model, self.service.models_dir, require_weights=False
            ).card.references
        except RequestError:
            takes_references = False  # a model gone: Remix says so when it is asked to make the take
        references = sequence.references if takes_references else None
        dialog = RemixDialog(source.recipe, self.window, sequence.style, references)
        if dialog.exec() != RemixDialog.DialogCode.Accepted:
            return
        self.submit_remix(clip_id, dialog.recipes())

    def submit_remix(self, clip_id: str, recipes: list) -> None:
        _, clip = self.document.project.sequence.find_clip(clip_id)
        job_id = None
        for recipe in recipes:
            landing = lambda take: Remix(take, clip_id, from_media=clip.media_id)  # noqa: E731
            job_id = self.jobs.submit(recipe, job_name("remix", recipe), landing, refused="Cannot remix")
            if job_id is None:
                return
        # The takes differ only by seed: the last one's notes (a negative prompt left unused…) are theirs.
        self._say(f"Remixing: {len(recipes)} new take{'s' if len(recipes) > 1 else ''} on the way.", job_id)

    def refine_refusal(self, clip_id: str | None = None) -> str | None:
        """Why the clip cannot be refined (None: it can): its shown take must be a draft."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            return "Select a clip whose take is a draft to refine it"
        try:
            _, clip = self.document.project.sequence.find_clip(clip_id)
        except KeyError:
            return "Select a clip whose take is a draft to refine it"
        item = self.document.project.media.get(clip.media_id)
        if item is None or item.recipe is None:
            return "Only a generated draft can be refined; this clip was not generated"
        if item.recipe.quality != DRAFT:
            return "This take is already full quality; Remix makes it again"
        return None

    def refine_clip(self, clip_id: str | None = None) -> None:
        """The full take of the clip's draft: the same recipe (seed, prompt, conditions, size) at full
        quality, landing as a new take of the same clip, which switches to it (the draft stays a take)."""
        clip_id = clip_id or self.timeline.selected
        refusal = self.refine_refusal(clip_id)
        if refusal is not None:
            self.message.emit(f"Cannot refine: {refusal}")
            return
        assert clip_id is not None  # refine_refusal says so otherwise
        _, clip = self.document.project.sequence.find_clip(clip_id)
        item = self.document.project.media[clip.media_id]
        assert item.recipe is not None  # refine_refusal says so otherwise
        try:
            recipe = refine_recipe(item.recipe, item.path)
        except DraftError as exc:
            self.message.emit(f"Cannot refine: {exc}")
            return
        on_clip, draft_id = clip.id, clip.media_id
        landing = lambda take: Remix(take, on_clip, from_media=draft_id)  # noqa: E731
        job_id = self.jobs.submit(recipe, f"refine: {recipe.prompt}", landing, refused="Cannot refine", warn=True)
        if job_id is not None:
            self._say("Refining the draft: the full take lands on the same clip.", job_id)

    def continue_clip(self, clip_id: str | None = None) -> None:
        """A new shot whose first frame is the clip's last (as shown, after trims), from the prompt
        panel's prompt and model, landing right after the clip."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.message.emit("Select the clip to continue from")
            return
        project = self.document.project
        track, clip = project.sequence.find_clip(clip_id)
        item = project.media.get(clip.media_id)
        if item is None or project.is_offline(item):
            self.message.emit("That clip's media is offline")
            return
        still = self.document.media_dir / f"{new_id()}-last-frame.png"
        try:
            index = 0 if item.kind is MediaKind.IMAGE else clip.source_out - 1
            frame = thumbnail(project.media_path(item), index, (item.width, item.height))
            still.parent.mkdir(parents=True, exist_ok=True)
            # A still from a generated clip is generated material: marked, like its take.
            save_png(frame, still, png_text(mark_for_recipes([item.recipe])) if item.recipe else {})
        except OSError as exc:
            self.message.emit(f"Cannot write the clip's last frame to {still}: {exc.strerror or exc}")
            return
        except MediaError as exc:
            self.message.emit(f"Cannot read the clip's last frame: {exc}")
            return
        panel = self.prompt_panel.recipe(fps=float(project.sequence.fps))
        prompt = panel.prompt or (item.recipe.prompt if item.recipe else "")
        recipe = continue_recipe(
            dataclasses.replace(panel, prompt=prompt),
            project.relative_path(still),
            width=item.width,
            height=item.height,
        )
        name = job_name("continue", recipe)
        # the take's first frame is the clip's last, so one frame fewer shows
        job_id = self.jobs.submit(
            recipe,
            name,
            lambda take: Continuation(take, track.id, clip.end),
            refused="Cannot continue",
            spot=lambda frames: Spot(track.id, clip.end, frames - 1, name),
            show=True,
        )
        if job_id is not None:
            self._say("Continuing from the clip's last frame.", job_id)

    def extend_clip(self, clip_id: str, edge: str, frames: int) -> None:
        """Dragging a generated clip's edge past its media asks the model for that many more frames,
        continuing the take's motion from its exact last (or first) frames."""
        project = self.document.project
        try:
            track, clip = project.sequence.find_clip(clip_id)
        except KeyError:
            return
        source = project.media.get(clip.media_id)
        if source is None or source.recipe is None:
            self.message.emit("Only a generated clip can be extended by the model; its media has no recipe")
            return
        backward = edge != "right"
        mode = Mode.EXTEND_BACKWARD if backward else Mode.EXTEND_FORWARD
        try:
            card = resolve_model(source.recipe.model, self.service.models_dir).card
            if mode not in card.modes:
                raise RequestError(f"{card.name} cannot {mode.label}; remix the shot with a model that can")
        except RequestError as exc:
            self.message.emit(f"Cannot extend: {exc}")
            return
        # A long shot's extension goes on with the prompt of the window it joins (its last; backward, its first).
        said = source.recipe.window_prompts
        joined = {"prompt": said[0] if backward else said[-1], "expanded_prompt": None} if said else {}
        recipe = extend_recipe(
            source.recipe,
            card,
            Condition(source.path, media_id=source.id),
            frames,
            backward=backward,
            window_prompts=[],
            **joined,
            width=source.width,
            height=source.height,
            fps=float(source.fps),
            model_revision=None,
        )
        name = job_name("extend", source.recipe)
        media_start = clip.start - clip.source_in
        spot = Spot(track.id, media_start + source.frames if edge == "right" else media_start - frames, frames, name)
        job_id = self.jobs.submit(
            recipe,
            name,
            lambda take: Extension(take, clip_id, edge, frames, source.frames),
            refused="Cannot extend",
            spot=lambda _frames: spot,
        )
        if job_id is not None:
            self._say(f"Extending by {frames} frames.", job_id)

    def _clip_source(self, clip_id: str | None, what: str):
        """The selected video clip and its media item, or None after saying why not."""
        clip_id = clip_id or self.timeline.selected
        if clip_id is None:
            self.message.emit(f"Select the clip to {what}")
            return None
        project = self.document.project
        track, clip = project.sequence.find_clip(clip_id)
        item = project.media.get(clip.media_id)
        if item is None or item.kind is not MediaKind.VIDEO or project.is_offline(item):
            self.message.emit(f"Only a video clip whose media is here can be used to {what}")
            return None
        return track, clip, item

    def _card(self, model: str, verb: str):
        try:
            return resolve_model(model, self.service.models_dir, require_weights=False).card
        except RequestError as exc:
            self.message.emit(f"Cannot {verb}: {exc}")
            return None

    def _submit_on_clip(self, recipe, clip, item, track, name: str, new_frames: int, verb: str) -> None:
        """Queue a job whose take replaces what the clip shows (a loop, a restyle), with a placeholder."""
        start, frames = (clip.end, new_frames) if new_frames else (clip.start, clip.duration)
        spot = Spot(track.id, start, max(1, frames), name)
        job_id = self.jobs.submit(
            recipe,
            name,
            lambda take: Replacement(take, clip.id, new_frames, item.frames),
            refused=f"Cannot {verb}",
            spot=lambda _frames: spot,
        )
        if job_id is not None:
            self._say(f"{verb.capitalize()}: queued.", job_id)

    def loop_clip(self, clip_id: str | None = None) -> None:
        """Frames after the clip, as it is shown, that lead back into its first frame, so it plays in
        a loop; the clip then shows itself and those frames (one take). The Shot panel's model, prompt
        and duration (the new frames) are used."""
        found = self._clip_source(clip_id, "loop")
        if found is None:
            return
        track, clip, item = found
        panel = self.prompt_panel.recipe(fps=float(item.fps))
        card = self._card(panel.model, "loop")
        if card is None:
            return
        prompt = panel.prompt or (item.recipe.prompt if item.recipe else "the shot continues and returns to its start")
        shown = Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)
        recipe = loop_recipe(
            panel,
            card,
            shown,
            panel.frames,
            prompt=prompt,
            width=item.width,
            height=item.height,
            fps=float(item.fps),
            window_prompts=[],
            references=[],
        )
        new_frames = recipe.frames - 2 * overlap_frames(card)
        self._submit_on_clip(recipe, clip, item, track, job_name("loop", recipe), new_frames, "loop")

    def restyle_clip(self, clip_id: str | None = None) -> None:
        """The clip, as it is shown, remade from a prompt with a strength (video to video): the take
        replaces it, as long as the model can make (its frame rule may shorten it by a few frames)."""
        found = self._clip_source(clip_id, "restyle")
        if found is None:
            return
        track, clip, item = found
        panel = self.prompt_panel.recipe(fps=float(item.fps))
        card = self._card(panel.model, "restyle")
        if card is None:
            return
        shown = Condition(item.path, media_id=item.id, source_in=clip.source_in, source_out=clip.source_out)
        recipe = restyle_recipe(
            panel,
            card,
            shown,
            clip.duration,
            prompt=panel.prompt or (item.recipe.prompt if item.recipe else ""),
            width=item.width,
            height=item.height,
            fps=float(item.fps),
            window_prompts=[],
            references=[],
        )
        dialog = RemixDialog(recipe, self.window, self.document.project.sequence.style)
        dialog.setWindowTitle("Restyle clip")
        if dialog.exec() != RemixDialog.DialogCode.Accepted:
            return
        for restyled in dialog.recipes():
            self._submit_on_clip(restyled, clip, item, track, job_name("restyle", restyled), 0, "restyle")

    # Batches: many shots queued at once, each landing as a remix of its clip does

    def placeholder_clips(self) -> list[tuple[Clip, MediaItem]]:
        """The clips whose take is not here but whose recipe can make it: an imported timeline's shots
        not generated yet, or takes lost."""
        project = self.document.project
        found = []
        for track in project.sequence.video_tracks():
            for clip in track.clips:
                item = project.media.get(clip.media_id)
                if item is not None and item.recipe is not None and project.is_offline(item):
                    found.append((clip, item))
        return found

    def generate_placeholders(self) -> None:
        """Every placeholder generated from its recipe: its take lands in the clip and is shown."""
        found = self.placeholder_clips()
        if not found:
            self.message.emit("No placeholders: every clip with a recipe has its take here")
            return
        self._submit_takes(
            [(clip, [dataclasses.replace(item.recipe, model_revision=None)]) for clip, item in found], "placeholder"
        )

    def takes_for_selected(self, takes: int | None = None) -> None:
        """More takes of each selected generated clip (asked how many), with seeds after its takes' own."""
        project = self.document.project
        chosen = []
        for track in project.sequence.video_tracks():  # in the timeline's order
            for clip in track.clips:
                item = project.media.get(clip.media_id)
                if clip.id in self.timeline.selection and item is not None and item.recipe is not None:
                    chosen.append((clip, item.recipe))
        if not chosen:
            self.message.emit("Select generated clips first: only a clip with a recipe can have more takes")
            return
        if takes is None:
            takes, ok = QInputDialog.getInt(
                self.window,
                "Takes for Selected Clips",
                f"New takes of each of the {len(chosen)} selected shots:"
                if len(chosen) > 1
                else "New takes of the shot:",
                2,
                1,
                MAX_BATCH_TAKES,
            )
            if not ok:
                return
        batch = []
        for clip, recipe in chosen:
            made = [project.media[t].recipe for t in clip.takes if t in project.media]
            seed = max([recipe.seed, *(r.seed for r in made if r is not None)]) + 1  # no seed made twice
            batch.append((clip, variations(dataclasses.replace(recipe, seed=seed, model_revision=None), takes)))
        self._submit_takes(batch, "take")

    def _submit_takes(self, batch: list[tuple[Clip, list]], what: str) -> None:
        """New takes of clips' shots, through the one submit path, each landing as a remix does; says
        how many were queued, and why the others were not."""
        refusals: list[str] = []

        def refused(text: str) -> None:  # the controller says why it refuses a request
            refusals.append(text)

        self.jobs.message.connect(refused)
        queued = asked = 0
        try:
            for clip, recipes in batch:
                for recipe in recipes:
                    asked += 1
                    landing = lambda take, clip=clip: Remix(take, clip.id, from_media=clip.media_id)  # noqa: E731
                    name = job_name(f"take (seed {recipe.seed})", recipe)
                    if self.jobs.submit(recipe, name, landing, refused="Cannot generate") is not None:
                        queued += 1
        finally:
            self.jobs.message.disconnect(refused)
        if queued == asked:
            self.message.emit(f"Queued {queued} {what}{'s' if queued != 1 else ''}")
        else:
            self.message.emit(f"Queued {queued} of {asked} {what}s. {refusals[-1] if refusals else ''}".strip())
