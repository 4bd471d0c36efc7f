# source: https://github.com/django-import-export/django-import-export/pull/44 ("Prevent queryset caching when exporting")
# label: fixed  item: unbounded query (Django queryset iterated whole)
class ModelResource:
    model = None

    def get_queryset(self):
        return self.model.objects.all()

    def export(self, dataset, queryset=None):
        if queryset is None:
            queryset = self.get_queryset()
        for obj in queryset.iterator():
            dataset.append(self.export_row(obj))
        return dataset

    def export_row(self, obj):
        return [getattr(obj, f.name) for f in self.model._meta.fields]
