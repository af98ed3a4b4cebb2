"""StreamField blocks for the trust's pages."""

from wagtail import blocks
from wagtail.images.blocks import ImageChooserBlock
from wagtail.snippets.blocks import SnippetChooserBlock


class HeadingBlock(blocks.CharBlock):
    class Meta:
        icon = "title"
        template = "cms/blocks/heading.html"
        form_classname = "title"


class QuoteBlock(blocks.StructBlock):
    quote = blocks.TextBlock()
    attribution = blocks.CharBlock(required=False)

    class Meta:
        icon = "openquote"
        template = "cms/blocks/quote.html"


class FigureBlock(blocks.StructBlock):
    image = ImageChooserBlock()
    alt_text = blocks.CharBlock(
        required=False,
        help_text="Describe the image for people who cannot see it; leave blank if decorative.",
    )
    caption = blocks.CharBlock(required=False)

    class Meta:
        icon = "image"
        template = "cms/blocks/figure.html"


class BodyBlock(blocks.StreamBlock):
    heading = HeadingBlock()
    paragraph = blocks.RichTextBlock(
        features=["h3", "bold", "italic", "link", "ol", "ul", "document-link"]
    )
    quote = QuoteBlock()
    image = FigureBlock()


class PracticeExampleBlock(blocks.StructBlock):
    """What a principle looks like in practice, perhaps in one of the trust's schools."""

    title = blocks.CharBlock()
    school = SnippetChooserBlock("people.School", required=False)
    description = blocks.TextBlock()

    class Meta:
        icon = "tick-inverse"
        template = "cms/blocks/practice_example.html"
