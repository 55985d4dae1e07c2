"""Front-end views for staff: library, document pages, register (stubs)."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from .models import DocumentPage


def home(request):
    return redirect("documents:library")


@login_required
def library(request):
    return HttpResponse("library")


@login_required
def register(request):
    return HttpResponse("register")


def render_document(request, page, issue=None, preview=False):
    return render(
        request,
        "documents/document_detail.html",
        {"page": page, "document": page, "issue": issue, "preview": preview},
    )


@login_required
def document_detail(request, number):
    page = get_object_or_404(DocumentPage.objects.visible_to_staff(), number=number)
    return render_document(request, page, page.current_issue)


@login_required
def issue_detail(request, number, label):
    page = get_object_or_404(DocumentPage.objects.visible_to_staff(), number=number)
    issue = get_object_or_404(page.issues, label=label)
    return render_document(request, page, issue)
