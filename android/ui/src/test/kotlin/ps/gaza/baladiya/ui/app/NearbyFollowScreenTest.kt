package ps.gaza.baladiya.ui.app

import androidx.compose.runtime.getValue
import androidx.compose.runtime.mutableStateOf
import androidx.compose.runtime.remember
import androidx.compose.runtime.rememberCoroutineScope
import androidx.compose.runtime.setValue
import androidx.compose.ui.semantics.SemanticsActions
import androidx.compose.ui.semantics.getOrNull
import androidx.compose.ui.test.ExperimentalTestApi
import androidx.compose.ui.test.SkikoComposeUiTest
import androidx.compose.ui.test.hasScrollAction
import androidx.compose.ui.test.hasTestTag
import androidx.compose.ui.test.hasText
import androidx.compose.ui.test.onNodeWithTag
import androidx.compose.ui.test.onNodeWithText
import androidx.compose.ui.test.performClick
import androidx.compose.ui.test.performScrollTo
import androidx.compose.ui.test.performScrollToNode
import kotlinx.coroutines.runBlocking
import org.junit.AfterClass
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertNotNull
import org.junit.Assert.assertNull
import org.junit.Assert.assertTrue
import org.junit.BeforeClass
import org.junit.Test
import ps.gaza.baladiya.ui.AppSurface
import ps.gaza.baladiya.ui.common.id
import ps.gaza.baladiya.ui.complaints.ComplaintDetail
import ps.gaza.baladiya.ui.complaints.ComplaintDetailModel
import ps.gaza.baladiya.ui.complaints.ComplaintForm
import ps.gaza.baladiya.ui.complaints.ComplaintFormModel
import ps.gaza.baladiya.ui.complaints.ComplaintListScreen
import ps.gaza.baladiya.ui.complaints.ComplaintsModel
import ps.gaza.baladiya.ui.stringsFor
import ps.gaza.baladiya.ui.test.Screens
import ps.gaza.baladiya.ui.test.TestClient
import ps.gaza.baladiya.ui.test.openTestClient
import ps.gaza.baladiya.ui.test.runScreenTest
import uniffi.baladiya_core.AttributeAnswer
import uniffi.baladiya_core.ComplaintDraft
import uniffi.baladiya_core.ComplaintState
import uniffi.baladiya_core.GeoPoint

/**
 * Issue 15.3 in the complaint form: sending a complaint with a point first shows what another
 * citizen already reported within 50 m; "this is my problem too" follows it and returns to the
 * list, where the row is marked followed with its count; "no, send mine" files as usual. The real
 * core against the real server, the other citizen on another data directory.
 */
@OptIn(ExperimentalTestApi::class)
class NearbyFollowScreenTest {
    /** The form, and the list it returns to after following (as the app's navigation does). */
    private fun formThenList(here: GeoPoint, block: SkikoComposeUiTest.(ComplaintFormModel, () -> String?) -> Unit) {
        runBlocking { fx.env.followLanguage("ar") }
        runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
            lateinit var vm: ComplaintFormModel
            var followedId: String? = null
            setContent {
                val scope = rememberCoroutineScope()
                vm = remember { ComplaintFormModel(fx.env, scope, null) }
                val list = remember { ComplaintsModel(fx.env, scope) }
                var showList by remember { mutableStateOf(false) }
                AppSurface("ar", fx.platform) {
                    if (showList) {
                        ComplaintListScreen(list, openNew = {}, openComplaint = {})
                    } else {
                        ComplaintForm(vm, onBack = {}, onFiled = {}, onFollowed = {
                            followedId = it
                            showList = true
                            list.refreshQuietly()
                        })
                    }
                }
            }
            await("categories", 60_000) { vm.form.value.categories.isNotEmpty() }
            vm.selectCategory(vm.form.value.categories.first { it.code == "water-leak" })
            await("questions", 60_000) { vm.form.value.attributes.isNotEmpty() }
            vm.setAnswer("severity", listOf("steady"))
            vm.setDescription("الماء يتسرب من الرصيف")
            vm.setAnonymous(true)
            // The point from the platform's location (20 m from the other citizen's leak).
            fx.platform.location = here
            vm.locate()
            await("the point") { vm.form.value.location == here }
            block(vm) { followedId }
        }
    }

    private fun SkikoComposeUiTest.sendAndSeeTheOffer(otherServerId: String) {
        val s = stringsFor("ar")
        onNodeWithText(s.complaintSubmit).performScrollTo().performClick()
        await("the nearby offer") { onAllNodes(hasTestTag("nearby-offer")).fetchSemanticsNodes().isNotEmpty() }
        // The other citizen's leak, as the citizen reads it.
        val shows = { text: String -> onAllNodes(hasText(text, substring = true), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty() }
        for (text in listOf(
            s.nearbyTitle,
            OTHER_DESCRIPTION,
            s.nearbyDistance(20),
            "على بُعد ٢٠ مترًا",
            s.nearbyFollowers(0),
            s.nearbyRequestNumber(s.id(otherServerId)),
            s.nearbySendMine,
        )) assertTrue("'$text' on screen", shows(text))
        // The fixture's own leak (same spot) is on this phone: not offered.
        assertEquals(1, onAllNodes(hasTestTag("nearby-request")).fetchSemanticsNodes().size)
        // Every control of the offer says what it does; the follow button which request it follows.
        val follow = onNodeWithTag("nearby-follow").fetchSemanticsNode().labelText()
        assertTrue(follow, follow.contains("هذه مشكلتي أيضًا، تابِع") && follow.contains(s.nearbyDistance(20)))
        assertTrue(follow, follow.contains(s.nearbyRequestNumber(s.id(otherServerId))))
        val offer = onNodeWithTag("nearby-offer", useUnmergedTree = true).fetchSemanticsNode()
        for (n in offer.descendants()) {
            if (n.config.getOrNull(SemanticsActions.OnClick) != null) assertTrue("a control without a label", n.labelText().isNotBlank())
        }
    }

    @Test
    fun followingTheRequestReportedNearbyLeadsToTheListWithTheFollowedRow() {
        val (otherServerId, here) = reportedNearby(0.0)
        followAndSeeTheList(otherServerId, here)
    }

    private fun followAndSeeTheList(otherServerId: String, here: GeoPoint) = formThenList(here) { vm, followedId ->
        val s = stringsFor("ar")
        val before = runBlocking { fx.app.client.complaints() }.size
        sendAndSeeTheOffer(otherServerId)
        onNodeWithTag("nearby-follow").performClick()
        await("back in the list") { followedId() != null }
        val id = followedId()!!
        val row = runBlocking { fx.app.client.complaint(id) }
        assertTrue(row.followed)
        assertEquals(otherServerId, row.serverId)
        assertNull("nothing filed", vm.filed.value)
        assertEquals(before + 1, runBlocking { fx.app.client.complaints() }.size)
        // The list: the row under the municipality's number, marked followed with its count once
        // the municipality counted the citizen (the list's refresh tells it).
        await("the followed row with its count") {
            onAllNodes(hasText("${s.complaintFollowing} · ${s.nearbyFollowers(1)}"), useUnmergedTree = true)
                .fetchSemanticsNodes().isNotEmpty()
        }
        assertTrue(onAllNodes(hasText(s.id(otherServerId)), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
        val public = fx.server.get("open311/v2/requests/$otherServerId.json")
        assertTrue(public, Regex(""""followers"\s*:\s*1\b""").containsMatchIn(public))
    }

    @Test
    fun sendMineFilesTheComplaintAsUsual() {
        val (otherServerId, here) = reportedNearby(0.003)
        formThenList(here) { vm, followedId ->
        val s = stringsFor("ar")
        sendAndSeeTheOffer(otherServerId)
        onNode(hasScrollAction()).performScrollToNode(hasTestTag("nearby-send-mine"))
        onNodeWithTag("nearby-send-mine").performClick()
        await("filed") { vm.filed.value != null }
        assertNull(followedId())
        val filed = runBlocking { fx.app.client.complaint(vm.filed.value!!) }
        assertFalse(filed.followed)
        assertEquals("الماء يتسرب من الرصيف", filed.draft.description)
        assertEquals(here, filed.draft.location)
        assertTrue(filed.state == ComplaintState.QUEUED || filed.state == ComplaintState.SENT)
        assertTrue("the filed dialog", onAllNodes(hasText(s.complaintFiledTitle)).fetchSemanticsNodes().isNotEmpty())
        }
    }

    /** The followed request's page says whose it is, and offers no rating or reopening. */
    @Test
    fun theFollowedRequestsPageSaysItIsFollowed() {
        val (otherServerId, here) = reportedNearby(0.006)
        val id = runBlocking {
            val c = fx.app.client
            val near = (c.nearbyRequests("water-leak", here) as uniffi.baladiya_core.NearbyCheck.Found).requests
            c.followRequest(near.first { it.serviceRequestId == otherServerId })
        }
        runScreenTest(Screens.PHONE_WIDTH, Screens.PHONE_HEIGHT) {
            lateinit var vm: ComplaintDetailModel
            setContent {
                val scope = rememberCoroutineScope()
                vm = remember { ComplaintDetailModel(fx.env, scope, id) }
                AppSurface("ar", fx.platform) { ComplaintDetail(vm, onBack = {}, openEdit = {}) }
            }
            await("the request") { vm.complaint.value != null }
            val s = stringsFor("ar")
            onNodeWithTag("followed-note", useUnmergedTree = true).assertExists()
            assertTrue(onAllNodes(hasText(s.complaintFollowedNote), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
            assertTrue(onAllNodes(hasText(s.complaintRequestNumber), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
            assertTrue(onAllNodes(hasText(s.id(otherServerId)), useUnmergedTree = true).fetchSemanticsNodes().isNotEmpty())
            assertTrue(onAllNodes(hasTestTag("feedback-card")).fetchSemanticsNodes().isEmpty())
            assertNotNull(vm.complaint.value?.serverId)
        }
    }

    companion object {
        lateinit var fx: AppFixture
        lateinit var other: TestClient
        const val OTHER_DESCRIPTION = "تسرب مياه عند مدخل العمارة"

        /**
         * The other citizen reports a leak at a spot of its own ([north] degrees of latitude from
         * the others, hundreds of metres apart): its number, and the point 20 m north of it where
         * this citizen is.
         */
        fun reportedNearby(north: Double): Pair<String, GeoPoint> = runBlocking {
            val at = GeoPoint(lat = 31.53 + north, long = 34.46)
            val c = other.client
            c.submitComplaint(
                ComplaintDraft(
                    serviceCode = "water-leak",
                    description = OTHER_DESCRIPTION,
                    attributes = listOf(AttributeAnswer("severity", listOf("steady"))),
                    location = at,
                    address = null,
                    contact = null,
                ),
                emptyList(),
            )
            val sent = c.flushComplaints().sent.single().serverId!!
            sent to GeoPoint(lat = at.lat + 0.00018, long = at.long)
        }

        @JvmStatic
        @BeforeClass
        fun start() {
            fx = AppFixture()
            // Another citizen, on another phone, reported a leak 20 m away.
            other = openTestClient(fx.server, sync = false)
            runBlocking { other.client.refreshComplaintCategories() }
        }

        @JvmStatic
        @AfterClass
        fun stop() {
            other.close()
            fx.close()
        }
    }
}
