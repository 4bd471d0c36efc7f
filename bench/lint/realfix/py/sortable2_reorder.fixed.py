# source: https://github.com/jrief/django-admin-sortable2/issues/67 ("use an iterator in the reorder command"; closed)
# label: fixed  item: unbounded query (Django queryset iterated whole)
from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Renumber the order field of a model"

    def add_arguments(self, parser):
        parser.add_argument("models", nargs="+")

    def handle(self, *args, **options):
        for label in options["models"]:
            Model = apps.get_model(label)
            field = Model._meta.ordering[0].lstrip("-")
            for order, obj in enumerate(Model.objects.iterator(chunk_size=2000), start=1):
                setattr(obj, field, order)
                obj.save(update_fields=[field])
