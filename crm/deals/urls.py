from django.urls import path

from . import board, setup, views

app_name = "deals"
urlpatterns = [
    *views.deal_pages.urls(),
    path("deals/<int:pk>/stages/", views.deal_stages, name="deal_stages"),
    path("deals/<int:pk>/contacts/", views.deal_contacts, name="deal_contacts"),
    path("deals/<int:pk>/contacts/<int:link_pk>/", views.deal_contact_change, name="deal_contact_change"),
    path("stale/", views.stale_deals, name="stale_deals"),
    path("board/", board.board, name="board"),
    path("board/column/<int:stage_id>/", board.board_column, name="board_column"),
    path("board/deals/<int:pk>/move/", board.board_move, name="board_move"),
    path("board/deals/<int:pk>/quick/", board.board_quick_edit, name="board_quick_edit"),
    path("setup/", setup.pipeline_list, name="pipeline_list"),
    path("setup/new/", setup.pipeline_edit, name="pipeline_add"),
    path("setup/<int:pk>/", setup.pipeline_edit, name="pipeline_edit"),
    path("setup/<int:pk>/default/", setup.pipeline_make_default, name="pipeline_default"),
    path("setup/<int:pk>/reorder/", setup.stages_reorder, name="stages_reorder"),
    path("setup/<int:pk>/stages/new/", setup.stage_edit, name="stage_add"),
    path("setup/stages/<int:stage_pk>/", setup.stage_edit, name="stage_edit"),
    path("setup/stages/<int:stage_pk>/delete/", setup.stage_delete, name="stage_delete"),
]
